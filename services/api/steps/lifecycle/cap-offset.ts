/**
 * The numeric UTC offset of `zone` at `instant`, as CAP wants it (`-05:00`, never `Z`; DOMAIN.md §2).
 */
export function capUtcOffset(instant: Date, zone: string): string {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(instant)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  // "GMT-05:00", "GMT+05:30", or plain "GMT" for a zero offset.
  return /^GMT([+-]\d{2}:\d{2})$/.exec(name)?.[1] ?? '+00:00';
}
