// What the store refuses because of the rows as they are (a cancel of a finished run, a run id
// that matches nothing): the user's to fix, unlike a failing query, which is a bug.
export class StoreRefusal extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'conflict' = 'conflict',
  ) {
    super(message);
    this.name = 'StoreRefusal';
  }
}
