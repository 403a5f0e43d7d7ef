import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { OutboundPolicy } from './outbound-policy';
import { outboundConfig } from './outbound.config';

/**
 * The process-wide outbound policy (CONTRACTS §5) for tools, MCP servers, webhooks and
 * `compatible` model endpoints: `check(url)` when saving, `fetcher()` when requesting.
 */
@Injectable()
export class OutboundService extends OutboundPolicy implements OnApplicationShutdown {
  constructor(@Inject(outboundConfig.KEY) config: ConfigType<typeof outboundConfig>) {
    super({
      allowPrivate: config.allowPrivate,
      allowHosts: config.allowHosts,
      maxResponseBytes: config.maxResponseBytes,
      maxRedirects: config.maxRedirects,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
