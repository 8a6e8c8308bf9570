/**
 * The 3-D structure viewer on 3Dmol.js, loaded on first use (its ≈ 0.6 MB stay out of the main
 * bundle; runs without a molecule never fetch it).
 */
export interface MoleculeViewer {
  /** Replace what is shown by this PDB (one model, CONECT bonds), re-centred; what was drawn. */
  show(pdb: string): { atoms: number; bonds: number };
  resize(): void;
  dispose(): void;
}

export const NO_WEBGL =
  'WebGL is not available in this browser, so the structure cannot be drawn. Enable hardware acceleration (or, for headless Chromium, start it with --enable-unsafe-swiftshader) and reload.';

/** 3Dmol logs a failed WebGL context to the console and carries on, leaving an empty box: check first. */
function hasWebGL(): boolean {
  const c = document.createElement('canvas');
  return !!(c.getContext('webgl2') ?? c.getContext('webgl'));
}

/** Ball and stick, coloured by element (3Dmol's default scheme: C grey, N blue, O red, H white). */
const STYLE = { stick: { radius: 0.14 }, sphere: { scale: 0.24 } };

/**
 * 3Dmol's PDB parser stops at the first END record, ENDMDL included, so the CONECT records that
 * follow a MODEL … ENDMDL block would be ignored (and the peptide bonds between ACE/NME and the
 * residue lost). The structure is one model: drop the model brackets.
 */
const oneModel = (pdb: string): string =>
  pdb
    .split('\n')
    .filter((l) => !l.startsWith('MODEL') && !l.startsWith('ENDMDL'))
    .join('\n');

export async function createMoleculeViewer(host: HTMLElement): Promise<MoleculeViewer> {
  if (!hasWebGL()) throw new Error(NO_WEBGL);
  const mol = await import('3dmol');
  const viewer = mol.createViewer(host, { backgroundColor: '#ffffff', antialias: true });
  return {
    show(pdb) {
      viewer.removeAllModels();
      const bonded = /^CONECT/m.test(pdb);
      // keepH: the hydrogens are part of the configuration (and of its energy). With CONECT records
      // the bonds drawn are the force field's topology only, so a stretched bond shows as one
      // instead of 3Dmol guessing bonds from distances.
      const model = viewer.addModel(oneModel(pdb), 'pdb', { keepH: true, assignBonds: !bonded });
      viewer.setStyle({}, STYLE);
      viewer.zoomTo();
      viewer.render();
      const atoms = model.selectedAtoms({});
      return { atoms: atoms.length, bonds: atoms.reduce((n, a) => n + (a.bonds?.length ?? 0), 0) / 2 };
    },
    resize() {
      viewer.resize();
      viewer.render();
    },
    dispose() {
      viewer.clear();
      host.replaceChildren();
    },
  };
}
