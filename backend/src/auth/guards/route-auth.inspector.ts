import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../../common/http/public.decorator';
import { AuthMode } from '../principal';
import { AUTH_MODES_KEY } from '../auth.decorators';

export interface RouteAuth {
  /** e.g. `GET /api/auth/me` */
  route: string;
  controller: string;
  handler: string;
  public: boolean;
  /** The accepted modes; null for public routes and for routes that declare nothing (denied). */
  modes: AuthMode[] | null;
}

const joinPath = (...parts: (string | string[] | undefined)[]): string =>
  '/' +
  parts
    .map((p) => (Array.isArray(p) ? p[0] : p) ?? '')
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');

/** Lists every controller route with its auth declaration (for the boot check and the tests). */
@Injectable()
export class RouteAuthInspector {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  routes(): RouteAuth[] {
    const routes: RouteAuth[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!controller || !wrapper.instance) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        // What the guard will do: a method-level @Public() wins over a controller-level @Auth().
        const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, controller]) === true;
        routes.push({
          route: `${RequestMethod[method]} ${joinPath(base, path)}`,
          controller: controller.name,
          handler: name,
          public: isPublic,
          modes: isPublic ? null : (this.reflector.getAllAndOverride<AuthMode[]>(AUTH_MODES_KEY, [handler, controller]) ?? null),
        });
      }
    }
    return routes;
  }
}
