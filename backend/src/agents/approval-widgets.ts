import type { WidgetRoot } from '../chatkit/protocol/types';

/** The action type of the Approve / Deny buttons (CONTRACTS §3). */
export const APPROVAL_ACTION = 'parley.approval';

export type ApprovalDecision = 'approve' | 'deny';

/** Largest argument text shown on a card; the model's full arguments stay in the tool-call row. */
const MAX_SHOWN_ARGUMENTS = 4000;

function argumentsMarkdown(args: unknown): string {
  let text = typeof args === 'string' ? args : JSON.stringify(args, null, 2);
  if (text.length > MAX_SHOWN_ARGUMENTS) text = `${text.slice(0, MAX_SHOWN_ARGUMENTS)}\n…`;
  return `\`\`\`json\n${text.replace(/```/g, '`\u200b``')}\n\`\`\``;
}

/** A pending approval: tool name, pretty-printed arguments, Approve and Deny. */
export function approvalCard(callId: string, toolName: string, args: unknown): WidgetRoot {
  const action = (decision: ApprovalDecision) => ({ type: APPROVAL_ACTION, payload: { callId, decision } });
  return {
    type: 'Card',
    id: `approval-${callId}`,
    children: [
      { type: 'Title', value: `Approve ${toolName}?`, size: 'sm' },
      { type: 'Text', value: 'The assistant wants to run this tool with these arguments:', size: 'sm' },
      { type: 'Markdown', value: argumentsMarkdown(args) },
      {
        type: 'Row',
        gap: 2,
        children: [
          { type: 'Button', label: 'Approve', style: 'primary', onClickAction: action('approve') },
          { type: 'Button', label: 'Deny', style: 'secondary', onClickAction: action('deny') },
        ],
      },
    ],
  };
}

/** The read-only card that replaces an approval once decided (or expired). */
export function decidedCard(toolName: string, args: unknown, line: string): WidgetRoot {
  return {
    type: 'Card',
    children: [
      { type: 'Title', value: toolName, size: 'sm' },
      { type: 'Markdown', value: argumentsMarkdown(args) },
      { type: 'Text', value: line, size: 'sm', color: 'secondary' },
    ],
  };
}

/** `{callId, decision}` of an approval action payload, or null when malformed. */
export function parseApprovalPayload(payload: unknown): { callId: string; decision: ApprovalDecision } | null {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const { callId, decision } = payload as { callId?: unknown; decision?: unknown };
  if (typeof callId !== 'string' || callId.length === 0 || callId.length > 200) return null;
  if (decision !== 'approve' && decision !== 'deny') return null;
  return { callId, decision };
}
