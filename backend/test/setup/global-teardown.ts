export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__PARLEY_EMBEDDED__ ?? []).map((s) => s.stop()));
}
