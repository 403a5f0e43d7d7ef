import { registerDecorator, ValidationOptions } from 'class-validator';

/** An exact web origin: `scheme://host[:port]`, nothing else (no path, no trailing slash). */
export function isOrigin(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 255) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

export function IsOrigin(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isOrigin',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must contain exact origins like https://app.example.com`, ...options },
      validator: { validate: isOrigin },
    });
}

/** Fails when the property is set but the object's `kind` is not one of `kinds`. */
export function OnlyForKind(kinds: string[], options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'onlyForKind',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} applies only to ${kinds.join('/')} runners`, ...options },
      validator: {
        validate: (value: unknown, args) =>
          value === undefined || kinds.includes((args?.object as { kind?: string } | undefined)?.kind ?? ''),
      },
    });
}
