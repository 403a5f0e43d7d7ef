export interface PublicChatPageProps {
  workflowId: string;
}

/**
 * The public share-link page (`/chat/:workflowId`), code-split from the owner app. For now a placeholder; it will
 * read the token from the URL fragment, fetch the workflow's public name and mount the remote widget.
 */
export default function PublicChatPage({ workflowId }: PublicChatPageProps) {
  return (
    <section aria-labelledby="public-chat-title" data-workflow-id={workflowId}>
      <h1 id="public-chat-title">Shared chat</h1>
      <p>This chat is not available yet.</p>
    </section>
  );
}
