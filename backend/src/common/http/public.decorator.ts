import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'parley:public';

/** Marks a route as reachable without credentials (the global guard denies everything else). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
