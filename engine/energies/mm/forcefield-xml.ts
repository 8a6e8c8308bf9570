/**
 * OpenMM ForceField XML (the Amber families, e.g. amber99sbildn.xml): a small tokenizer (no XML
 * dependency) and the parameter tables that `system.ts` matches against, as OpenMM's forcefield.py does.
 */

export interface XmlElement {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescape = (s: string): string => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]!);

/** Elements and attributes only: text, comments, <?…?> and <!…> declarations are skipped. */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { tag: '#document', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  const tagRe = /<!--[\s\S]*?-->|<[?!][\s\S]*?>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const attrRe = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m = tagRe.exec(text); m; m = tagRe.exec(text)) {
    const [, close, tag, attrText, selfClose] = m;
    if (!tag) continue; // comment or declaration
    const top = stack[stack.length - 1]!;
    if (close) {
      if (top.tag !== tag) throw new Error(`xml: </${tag}> closes <${top.tag}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (let a = attrRe.exec(attrText ?? ''); a; a = attrRe.exec(attrText ?? '')) attrs[a[1]!] = unescape(a[2] ?? a[3] ?? '');
    const el: XmlElement = { tag, attrs, children: [] };
    top.children.push(el);
    if (!selfClose) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`xml: <${stack[stack.length - 1]!.tag}> is not closed`);
  return root;
}

/** One atom specifier of a parameter line: the set of atom-type names it matches; null is the '' wildcard. */
export type TypeSet = ReadonlySet<string> | null;
export interface AtomType { readonly name: string; readonly cls: string; readonly element: string; readonly mass: number }
export interface TemplateAtom { readonly name: string; readonly type: string; readonly charge?: number }
export interface ResidueTemplate {
  readonly name: string;
  readonly atoms: readonly TemplateAtom[];
  readonly bonds: readonly (readonly [number, number])[];
  readonly externalBonds: readonly number[];
}
export interface BondDef { readonly types: readonly [TypeSet, TypeSet]; readonly length: number; readonly k: number }
export interface AngleDef { readonly types: readonly [TypeSet, TypeSet, TypeSet]; readonly angle: number; readonly k: number }
export interface TorsionTerm { readonly periodicity: number; readonly phase: number; readonly k: number }
export interface TorsionDef {
  readonly types: readonly [TypeSet, TypeSet, TypeSet, TypeSet];
  readonly terms: readonly TorsionTerm[];
  readonly hasWildcard: boolean;
}
export interface NonbondedType { readonly charge?: number; readonly sigma: number; readonly epsilon: number }
export interface ForceField {
  readonly atomTypes: ReadonlyMap<string, AtomType>;
  readonly residues: ReadonlyMap<string, ResidueTemplate>;
  readonly bonds: readonly BondDef[];
  readonly angles: readonly AngleDef[];
  readonly propers: readonly TorsionDef[];
  readonly impropers: readonly TorsionDef[];
  /** OpenMM's improper ordering rule: amber99sbildn.xml gives none, i.e. 'default'. */
  readonly improperOrdering: string;
  readonly coulomb14scale: number;
  readonly lj14scale: number;
  readonly nonbonded: ReadonlyMap<string, NonbondedType>;
}

const num = (el: XmlElement, key: string): number => {
  const v = Number(el.attrs[key]);
  if (el.attrs[key] === undefined || !Number.isFinite(v)) throw new Error(`forcefield: <${el.tag}> needs a numeric ${key}`);
  return v;
};

/** Children of every <section> element under <ForceField> whose tag is `child`. */
type ItemsOf = (section: string, child: string) => XmlElement[];
/** Matches the type specifiers of a parameter line with n atoms; undefined drops the line. */
type SpecsOf = (el: XmlElement, n: number) => TypeSet[] | undefined;

export function parseForceField(text: string): ForceField {
  const top = parseXml(text).children.find((c) => c.tag === 'ForceField');
  if (!top) throw new Error('forcefield: no <ForceField> element');
  const sections = (tag: string): XmlElement[] => top.children.filter((c) => c.tag === tag);
  const items: ItemsOf = (tag, child) => sections(tag).flatMap((s) => s.children.filter((c) => c.tag === child));

  const { atomTypes, byClass } = parseAtomTypes(items);
  const specs = typeSpecs(atomTypes, byClass);
  const residues = parseResidues(items);
  const bonds = parseBonds(items, specs);
  const angles = parseAngles(items, specs);
  const torsion = (el: XmlElement): TorsionDef | undefined => parseTorsion(specs, el);
  const defined = <T>(x: T | undefined): x is T => x !== undefined;
  const nbSection = sections('NonbondedForce')[0];
  const nonbonded = parseNonbonded(items, specs);
  return {
    atomTypes, residues, bonds, angles,
    propers: items('PeriodicTorsionForce', 'Proper').map(torsion).filter(defined),
    impropers: items('PeriodicTorsionForce', 'Improper').map(torsion).filter(defined),
    improperOrdering: sections('PeriodicTorsionForce')[0]?.attrs.ordering ?? 'default',
    coulomb14scale: nbSection ? num(nbSection, 'coulomb14scale') : 1,
    lj14scale: nbSection ? num(nbSection, 'lj14scale') : 1,
    nonbonded,
  };
}

function parseAtomTypes(items: ItemsOf): { atomTypes: Map<string, AtomType>; byClass: Map<string, Set<string>> } {
  const atomTypes = new Map<string, AtomType>();
  const byClass = new Map<string, Set<string>>();
  for (const t of items('AtomTypes', 'Type')) {
    const at: AtomType = { name: t.attrs.name!, cls: t.attrs.class ?? '', element: t.attrs.element ?? '', mass: Number(t.attrs.mass ?? 0) };
    atomTypes.set(at.name, at);
    if (!byClass.has(at.cls)) byClass.set(at.cls, new Set());
    byClass.get(at.cls)!.add(at.name);
  }
  return { atomTypes, byClass };
}

/** As OpenMM's _findAtomTypes: classN/typeN per position; '' is the wildcard; unknown names drop the line. */
function typeSpecs(atomTypes: ReadonlyMap<string, AtomType>, byClass: ReadonlyMap<string, Set<string>>): SpecsOf {
  return (el, n) => {
    const out: TypeSet[] = [];
    for (let i = 1; i <= n; i++) {
      const sfx = n === 1 ? '' : String(i);
      const cls = el.attrs[`class${sfx}`];
      const typ = el.attrs[`type${sfx}`];
      if (cls !== undefined) {
        if (cls === '') out.push(null);
        else if (byClass.has(cls)) out.push(byClass.get(cls)!);
        else return undefined;
      } else if (typ !== undefined) {
        if (typ === '') out.push(null);
        else if (atomTypes.has(typ)) out.push(new Set([typ]));
        else return undefined;
      } else return undefined;
    }
    return out;
  };
}

function parseResidues(items: ItemsOf): Map<string, ResidueTemplate> {
  const residues = new Map<string, ResidueTemplate>();
  for (const r of items('Residues', 'Residue')) {
    const names = r.children.filter((c) => c.tag === 'Atom').map((a) => a.attrs.name!);
    const idx = (el: XmlElement, key: string, nameKey: string): number =>
      el.attrs[key] !== undefined ? Number(el.attrs[key]) : names.indexOf(el.attrs[nameKey] ?? '');
    residues.set(r.attrs.name!, {
      name: r.attrs.name!,
      atoms: r.children.filter((c) => c.tag === 'Atom').map((a) => ({
        name: a.attrs.name!, type: a.attrs.type!, ...(a.attrs.charge !== undefined ? { charge: Number(a.attrs.charge) } : {}),
      })),
      bonds: r.children.filter((c) => c.tag === 'Bond').map((b) => [idx(b, 'from', 'atomName1'), idx(b, 'to', 'atomName2')] as const),
      externalBonds: r.children.filter((c) => c.tag === 'ExternalBond').map((b) => idx(b, 'from', 'atomName')),
    });
  }
  return residues;
}

function parseBonds(items: ItemsOf, specs: SpecsOf): BondDef[] {
  const bonds: BondDef[] = [];
  for (const b of items('HarmonicBondForce', 'Bond')) {
    const t = specs(b, 2);
    if (t) bonds.push({ types: [t[0]!, t[1]!], length: num(b, 'length'), k: num(b, 'k') });
  }
  return bonds;
}

function parseAngles(items: ItemsOf, specs: SpecsOf): AngleDef[] {
  const angles: AngleDef[] = [];
  for (const a of items('HarmonicAngleForce', 'Angle')) {
    const t = specs(a, 3);
    if (t) angles.push({ types: [t[0]!, t[1]!, t[2]!], angle: num(a, 'angle'), k: num(a, 'k') });
  }
  return angles;
}

function parseTorsion(specs: SpecsOf, el: XmlElement): TorsionDef | undefined {
  const t = specs(el, 4);
  if (!t) return undefined;
  const terms: TorsionTerm[] = [];
  for (let i = 1; el.attrs[`phase${i}`] !== undefined; i++)
    terms.push({ periodicity: num(el, `periodicity${i}`), phase: num(el, `phase${i}`), k: num(el, `k${i}`) });
  return { types: [t[0]!, t[1]!, t[2]!, t[3]!], terms, hasWildcard: t.includes(null) };
}

function parseNonbonded(items: ItemsOf, specs: SpecsOf): Map<string, NonbondedType> {
  const nonbonded = new Map<string, NonbondedType>();
  for (const a of items('NonbondedForce', 'Atom')) {
    const t = specs(a, 1)?.[0];
    const p: NonbondedType = {
      sigma: num(a, 'sigma'), epsilon: num(a, 'epsilon'), ...(a.attrs.charge !== undefined ? { charge: num(a, 'charge') } : {}),
    };
    for (const name of t ?? []) nonbonded.set(name, p);
  }
  return nonbonded;
}
