// A command's error reply as the text to compare, for `.catch(errorMessage)` where either a reply or
// an error is the expected outcome. A client rejects with an Error; anything else fails the test.

export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) throw new TypeError(`a rejection that is not an Error: ${String(e)}`);
  return e.message;
}
