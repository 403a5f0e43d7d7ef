import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AnalyticsModule } from './analytics/analytics.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { AuthModule } from './auth/auth.module';
import { GlobalAuthGuard } from './auth/guards/auth.guard';
import { ChatKitModule } from './chatkit/chatkit.module';
import { appConfig } from './config/app.config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HostsModule } from './hosts/hosts.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperationsModule } from './operations/operations.module';
import { PublishModule } from './publish/publish.module';
import { RateLimitModule } from './ratelimit/ratelimit.module';
import { AuthRateLimitGuard } from './ratelimit/auth-rate-limit.guard';
import { RateLimitGuard } from './ratelimit/ratelimit.guard';
import { OwnerTranscriptsModule } from './transcript/owner/owner-transcripts.module';
import { WebModule } from './web/web.module';
import { WorkflowsModule } from './workflows/workflows.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [appConfig] }),
    LoggingModule,
    DatabaseModule,
    MetricsModule,
    OperationsModule,
    AuthModule,
    RateLimitModule,
    WorkflowsModule,
    PublishModule,
    ChatKitModule,
    HostsModule,
    OwnerTranscriptsModule,
    AnalyticsModule,
    HealthModule,
    WebModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    // Global guards run in the order they are registered, and all are registered here, together,
    // so that order is fixed: authenticate first (deny by default, attach the principal), then rate
    // limit, keyed on that principal, then the credential limits of `@LoginAttempts()` routes.
    // Registering any inside its own module would make the order depend on module scan order.
    // test/ratelimit proves the limiter sees the principal.
    { provide: APP_GUARD, useExisting: GlobalAuthGuard },
    { provide: APP_GUARD, useExisting: RateLimitGuard },
    { provide: APP_GUARD, useExisting: AuthRateLimitGuard },
  ],
})
export class AppModule {}
