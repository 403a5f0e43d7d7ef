// The host's single seam to the widget's typed contract (docs/embedding.md, The options contract): the remote's own module, compiled in,
// so a contract change fails this app's type-check. Import widget types from here, not from ../widget-remote.
export { WIDGET_FEDERATION } from '../../../widget-remote/src/contract.ts';
export type {
  ChatWidgetOptions,
  MountWidget,
  WidgetAuth,
  WidgetEvent,
} from '../../../widget-remote/src/contract.ts';
