import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { featuresConfig } from '../config/features.config';
import { RuntimeConfigController } from './runtime-config.controller';
import { webConfig } from './web.config';

/** `/api/config` for hosts; static front-end serving is wired in `configureApp`. */
@Module({
  imports: [ConfigModule.forFeature(webConfig), ConfigModule.forFeature(featuresConfig)],
  controllers: [RuntimeConfigController],
})
export class WebModule {}
