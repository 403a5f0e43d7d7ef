import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { AuthMode } from '../principal';
import { RouteAuthInspector } from './route-auth.inspector';
import { AuthVerifier, PrincipalVerifier } from '../auth.verifiers';

/**
 * The verifiers of every auth mode, discovered from providers marked `@AuthVerifier(mode)`.
 * At boot it fails when a route declares a mode nobody verifies, and warns about routes that
 * declare neither `@Public()` nor `@Auth()` (the guard denies those).
 */
@Injectable()
export class VerifierRegistry implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  private verifiers: Map<AuthMode, PrincipalVerifier> | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly inspector: RouteAuthInspector,
  ) {}

  onApplicationBootstrap(): void {
    const problems: string[] = [];
    for (const route of this.inspector.routes()) {
      if (!route.public && !route.modes) {
        this.logger.warn(`${route.route} (${route.controller}.${route.handler}) declares neither @Public() nor @Auth(): it is denied to everyone.`);
      }
      for (const mode of route.modes ?? []) {
        if (!this.get(mode)) problems.push(`${route.route} accepts @Auth('${mode}') but no provider is marked @AuthVerifier('${mode}').`);
      }
    }
    if (problems.length) throw new Error(`Auth configuration:\n  - ${problems.join('\n  - ')}`);
  }

  get(mode: AuthMode): PrincipalVerifier | undefined {
    return this.all().get(mode);
  }

  /** Every registered mode and its verifier. */
  all(): ReadonlyMap<AuthMode, PrincipalVerifier> {
    this.verifiers ??= this.discover();
    return this.verifiers;
  }

  private discover(): Map<AuthMode, PrincipalVerifier> {
    const found = new Map<AuthMode, PrincipalVerifier>();
    for (const wrapper of this.discovery.getProviders({ metadataKey: AuthVerifier.KEY })) {
      const mode = this.discovery.getMetadataByDecorator(AuthVerifier, wrapper);
      if (!mode || !wrapper.instance) continue;
      if (found.has(mode)) throw new Error(`Two providers are marked @AuthVerifier('${mode}').`);
      found.set(mode, wrapper.instance as PrincipalVerifier);
    }
    return found;
  }
}
