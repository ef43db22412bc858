// Hash values: field → value, with the encoding Redis would report (being built).

export class HashValue {
  readonly type = 'hash' as const;
  readonly fields = new Map<string, string>();
}
