/**
 * For a form's box once what it held was sent and answered: empties it only if it still holds what was sent, so what
 * the person typed meanwhile stays (the next label or checklist item, more of a comment). The answer can come after
 * they started: the live event showing the new item often arrives first, and a slow network leaves time to type.
 * Use as a state updater: `setName(clearIfStill(sent))`.
 */
export const clearIfStill = (sent: string) => (current: string): string => (current === sent ? '' : current);
