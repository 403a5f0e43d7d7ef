import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '../errors/domain-error';

/** Path version numbers are positive integers; anything else is a 400 naming the parameter. */
@Injectable()
export class ParseVersionPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    if (!/^[1-9][0-9]{0,8}$/.test(value)) {
      const name = metadata.data ?? 'version';
      throw new ValidationFailedError({ [name]: [`${name} must be a positive integer`] });
    }
    return Number(value);
  }
}
