import { ChatKit, useChatKit } from '@openai/chatkit-react';
import type { ChatKitOptions } from '@openai/chatkit-react';

export interface ChatKitRendererProps {
  options: ChatKitOptions;
  /** ChatKit's own error events (frame, validation); request failures are reported by the auth fetch. */
  onError?: (error: Error) => void;
}

/**
 * The primary renderer: OpenAI's `<openai-chatkit>` web component, configured by `buildChatKitOptions`. Loaded as a
 * separate chunk, so lite-only visitors never download it.
 */
export default function ChatKitRenderer({ options, onError }: ChatKitRendererProps) {
  const { control } = useChatKit({ ...options, onError: ({ error }) => onError?.(error) });
  return <ChatKit control={control} className="pw-chatkit" data-testid="parley-chatkit" />;
}
