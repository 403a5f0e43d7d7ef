import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { SecretBox } from './secret-box';

/** Encryption at rest of owner-provided secrets (key derived from PARLEY_SECRET_KEY). */
@Module({
  imports: [ConfigModule.forFeature(appConfig)],
  providers: [SecretBox],
  exports: [SecretBox],
})
export class SecretsModule {}
