import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ValidationFailedError } from '../errors/domain-error';

/** Path ids must be UUIDs; anything else is a 400 naming the parameter (never a database error). */
@Injectable()
export class ParseUuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUUID(value)) {
      const name = metadata.data ?? 'id';
      throw new ValidationFailedError({ [name]: [`${name} must be a UUID`] });
    }
    return value.toLowerCase();
  }
}
