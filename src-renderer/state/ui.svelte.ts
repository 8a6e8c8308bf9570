/** Which main view is showing. */
export type View = 'runs' | 'new' | 'compare' | 'sweeps';

export class UiState {
  view = $state<View>('runs');
}
