import { ValidationError } from 'class-validator';
import { flattenValidationErrors } from './validation.pipe';

const err = (property: string, constraints?: Record<string, string>, children: ValidationError[] = []): ValidationError =>
  Object.assign(new ValidationError(), { property, constraints, children });

describe('flattenValidationErrors', () => {
  it('keys messages by dotted path, including nested and array children', () => {
    const errors = [
      err('name', { isString: 'name must be a string' }),
      err('runner', undefined, [err('model', { isNotEmpty: 'model should not be empty' })]),
      err('origins', undefined, [err('0', { isUrl: 'each value must be a URL' })]),
    ];
    expect(flattenValidationErrors(errors)).toEqual({
      name: ['name must be a string'],
      'runner.model': ['model should not be empty'],
      'origins.0': ['each value must be a URL'],
    });
  });
});
