/** The owner app's landing page; sign-in, the workflow list and publishing arrive in later issues. */
export function OwnerHome() {
  return (
    <section aria-labelledby="owner-home-title">
      <h1 id="owner-home-title">Workflows</h1>
      <p>Publish a workflow as a chat, share it, and read its transcripts.</p>
    </section>
  );
}
