// A read-only window reopens the store on every change it follows, and each reopen repeats the
// same notices (a damaged snapshot rebuilt, refused journal records): the user sees each once.
export function noticeOnce(notice: (message: string) => void): (message: string) => void {
  const shown = new Set<string>();
  return (message) => {
    if (shown.has(message)) return;
    shown.add(message);
    notice(message);
  };
}
