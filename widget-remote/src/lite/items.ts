import type { OutputText, Task, ThreadItem, ThreadItemUpdate, WidgetNode } from './protocol';

/** Items the server persists for the model only; they are never shown (and a correct server never sends them). */
export const HIDDEN_ITEM_TYPES: ReadonlySet<string> = new Set(['hidden_context_item', 'sdk_hidden_context']);

const emptyPart = (): OutputText => ({ type: 'output_text', text: '', annotations: [] });

/**
 * Applies one `thread.item.updated` change to an item (docs/chatkit-protocol.md). Pure: returns a new item, or the
 * same one when the update does not apply to its type or names a part or component the item does not have.
 */
export function applyItemUpdate(item: ThreadItem, update: ThreadItemUpdate): ThreadItem {
  switch (update.type) {
    case 'assistant_message.content_part.added':
    case 'assistant_message.content_part.done':
      if (item.type !== 'assistant_message') return item;
      return { ...item, content: setAt(item.content, update.content_index, update.content, emptyPart) };
    case 'assistant_message.content_part.text_delta': {
      if (item.type !== 'assistant_message') return item;
      const part = item.content[update.content_index] ?? emptyPart();
      return {
        ...item,
        content: setAt(item.content, update.content_index, { ...part, text: part.text + update.delta }, emptyPart),
      };
    }
    case 'assistant_message.content_part.annotation_added': {
      if (item.type !== 'assistant_message') return item;
      const part = item.content[update.content_index] ?? emptyPart();
      const annotations = setAt(part.annotations, update.annotation_index, update.annotation, () => update.annotation);
      return { ...item, content: setAt(item.content, update.content_index, { ...part, annotations }, emptyPart) };
    }
    case 'widget.streaming_text.value_delta': {
      if (item.type !== 'widget') return item;
      const widget = mapNode(item.widget, update.component_id, (node) => ({
        ...node,
        value: (typeof node.value === 'string' ? node.value : '') + update.delta,
      }));
      return widget === item.widget ? item : { ...item, widget };
    }
    case 'widget.component.updated': {
      if (item.type !== 'widget') return item;
      const widget = mapNode(item.widget, update.component_id, () => update.component);
      return widget === item.widget ? item : { ...item, widget };
    }
    case 'widget.root.updated':
      return item.type === 'widget' ? { ...item, widget: update.widget } : item;
    case 'workflow.task.added': {
      if (item.type !== 'workflow') return item;
      const tasks = [...item.workflow.tasks];
      tasks.splice(Math.min(Math.max(0, update.task_index), tasks.length), 0, update.task);
      return { ...item, workflow: { ...item.workflow, tasks } };
    }
    case 'workflow.task.updated': {
      if (item.type !== 'workflow') return item;
      const tasks = setAt<Task>(item.workflow.tasks, update.task_index, update.task, () => update.task);
      return { ...item, workflow: { ...item.workflow, tasks } };
    }
    case 'generated_image.updated':
      if (item.type !== 'generated_image') return item;
      return {
        ...item,
        image: update.image,
        ...(update.progress !== undefined ? { progress: update.progress } : {}),
      };
    default:
      return item; // An update type from a newer protocol: keep the item as it is.
  }
}

/** Copy of `list` with `value` at `index`, padding any gap with `fill()`. */
function setAt<T>(list: readonly T[], index: number, value: T, fill: () => T): T[] {
  const next = [...list];
  while (next.length < index) next.push(fill());
  next[index] = value;
  return next;
}

/** Replaces the node whose `id` is `id` (depth first) by `change(node)`; returns `root` itself when none matches. */
export function mapNode(root: WidgetNode, id: string, change: (node: WidgetNode) => WidgetNode): WidgetNode {
  if (root.id === id) return change(root);
  if (!Array.isArray(root.children)) return root;
  let changed = false;
  const children = root.children.map((child) => {
    const next = mapNode(child, id, change);
    if (next !== child) changed = true;
    return next;
  });
  return changed ? { ...root, children } : root;
}

/** The plain text of a message item (user input text and tags, or assistant output). */
export function itemText(item: ThreadItem): string {
  if (item.type === 'user_message') return item.content.map((part) => part.text).join('');
  if (item.type === 'assistant_message') return item.content.map((part) => part.text).join('\n\n');
  return '';
}
