import { ConnectionState } from './connection.svelte';
import { ImportsState } from './imports.svelte';
import { MoleculesState } from './molecules.svelte';
import { NewRunState } from './new-run.svelte';
import { ProjectsState } from './projects.svelte';
import { RunDetailState } from './run-detail.svelte';
import { RunsState } from './runs.svelte';
import { SamplesState } from './samples.svelte';
import { SweepsState } from './sweeps.svelte';
import { UiState } from './ui.svelte';

/** The renderer's state: one instance per domain, shared by every component. */
export const app = {
  connection: new ConnectionState(),
  projects: new ProjectsState(),
  runs: new RunsState(),
  detail: new RunDetailState(),
  samples: new SamplesState(),
  newRun: new NewRunState(),
  molecules: new MoleculesState(),
  imports: new ImportsState(),
  sweeps: new SweepsState(),
  ui: new UiState(),
};
