import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { outboundConfig } from './outbound.config';
import { OutboundService } from './outbound.service';

/** Outbound HTTP under Parley's SSRF policy; every module that calls owner-chosen URLs imports it. */
@Module({
  imports: [ConfigModule.forFeature(outboundConfig)],
  providers: [OutboundService],
  exports: [OutboundService],
})
export class OutboundModule {}
