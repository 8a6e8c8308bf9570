import type { TopologyAtom } from '../../../engine/energies/topology';

// wwPDB v3.3 records, each padded to 80 columns: what the sample export, the 3-D viewer's
// structures and a molecule's stored template are written with.

/** Pad a record to the fixed 80 columns; a longer line would break every column-based reader. */
export function line(s: string): string {
  if (s.length > 80) throw new Error(`PDB line longer than 80 columns: ${s}`);
  return s.padEnd(80) + '\n';
}

/** Fixed-width decimal; a value that does not fit its columns is an error, never a shifted line. */
export function fixed(v: number, width: number, digits: number, what: string): string {
  const s = v.toFixed(digits);
  if (!Number.isFinite(v) || s.length > width) throw new Error(`${what} ${v} does not fit a PDB ${width}.${digits}f field`);
  return s.padStart(width);
}

export const remark = (n: number, text: string): string => line(`REMARK ${String(n).padStart(3)} ${text}`);

/** Atom serials are 5 columns. */
export const MAX_ATOMS = 99999;

/**
 * Atom name in columns 13-16: a 4-character name fills them; shorter names start in column 14
 * (" CA "), except where the name begins with a two-letter element (FE, CL), which starts in 13 —
 * the wwPDB alignment that readers use to tell calcium "CA  " from an alpha carbon " CA ".
 */
export function atomNameField(name: string, element: string): string {
  if (name.length >= 4) return name;
  if (element.length === 2 && name.toUpperCase().startsWith(element.toUpperCase())) return name.padEnd(4);
  return ` ${name}`.padEnd(4);
}

/**
 * One ATOM/HETATM record: serial 7-11, name 13-16, resName 18-20, chain 22, resSeq 23-26, iCode 27,
 * x y z 31-54 (8.3f, Å), occupancy 55-60, B-factor 61-66 (already formatted, 6 columns), element
 * 77-78 (right-justified).
 */
export function atomRecord(serial: number, a: TopologyAtom, xyz: readonly [number, number, number], bFactor: string, what: string): string {
  const iCode = a.iCode ?? '';
  if (a.name.length > 4 || a.resName.length > 3 || a.chain.length !== 1 || iCode.length > 1 || a.element.length > 2 || !(a.resSeq >= -999 && a.resSeq <= 9999))
    throw new Error(`atom ${serial} (${a.name} ${a.resName} ${a.resSeq}) does not fit the PDB columns`);
  const coords = xyz.map((v) => fixed(v, 8, 3, `${what} coordinate`)).join('');
  return line(
    `${a.standard ? 'ATOM  ' : 'HETATM'}${String(serial).padStart(5)} ${atomNameField(a.name, a.element)} ${a.resName.padStart(3)} ${a.chain}${String(a.resSeq).padStart(4)}${iCode.padEnd(1)}   ` +
      `${coords}${'1.00'.padStart(6)}${bFactor}${' '.repeat(10)}${a.element.padStart(2)}`,
  );
}

/**
 * CONECT records for covalent bonds (0-based atom indices; serials are index + 1): one record per
 * bonded atom listing its partners in ascending order, in both directions as wwPDB writes them,
 * serials in columns 7-11 then 12-16, 17-21, 22-26, 27-31; an atom with more than four partners
 * continues on further CONECT records with the same first serial.
 */
export function conectRecords(nAtoms: number, bonds: readonly (readonly [number, number])[]): string {
  const partners: number[][] = Array.from({ length: nAtoms }, () => []);
  for (const [i, j] of bonds) {
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < nAtoms && j < nAtoms && i !== j)) throw new Error(`bond ${i}-${j} is not between two of the ${nAtoms} atoms`);
    partners[i]!.push(j);
    partners[j]!.push(i);
  }
  const serial = (k: number): string => String(k + 1).padStart(5);
  let out = '';
  partners.forEach((list, i) => {
    const sorted = [...new Set(list)].sort((a, b) => a - b);
    for (let k = 0; k < sorted.length; k += 4) out += line(`CONECT${serial(i)}${sorted.slice(k, k + 4).map(serial).join('')}`);
  });
  return out;
}
