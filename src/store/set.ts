// Set values: unique members, with the encoding Redis would report (being built).

export class SetValue {
  readonly type = 'set' as const;
  readonly members = new Set<string>();
}
