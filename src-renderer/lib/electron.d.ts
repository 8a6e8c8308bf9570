/** What the Electron preload exposes; absent in a plain browser tab (`bgw serve`). */
interface Window {
  bgw?: {
    /** Shows a save dialog and has the main process fetch `url` into the chosen file; null when cancelled. */
    saveFile(o: { url: string; defaultName: string }): Promise<string | null>;
  };
}
