import { Global, Module } from '@nestjs/common';

/** Where JSON logs go; stdout unless a test overrides this provider to capture them. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

@Global()
@Module({ providers: [{ provide: LOG_DESTINATION, useValue: null }], exports: [LOG_DESTINATION] })
export class LogDestinationModule {}
