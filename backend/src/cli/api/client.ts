import createClient, { type Client } from 'openapi-fetch';
import { apiError, ErrorHints, networkError } from '../errors';
import type { paths } from '@parley/api-types';

/** A typed client for the REST contract (`docs/openapi.json` → `schema.d.ts`). */
export type ApiClient = Client<paths>;

/** What every openapi-fetch call resolves to. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * One API base URL and credential. `call` turns every outcome that is not a 2xx into a CliError
 * carrying the API's code, a hint and the exit code, so commands only handle success.
 */
export class Api {
  readonly client: ApiClient;

  constructor(
    readonly apiUrl: string,
    token: string | undefined,
    userAgent: string,
    private readonly defaults: ErrorHints = {},
  ) {
    this.client = createClient<paths>({
      baseUrl: apiUrl,
      headers: { 'user-agent': userAgent, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  }

  /** Awaits an openapi-fetch call and returns its data, or throws the mapped error. */
  async call<T>(pending: Promise<Answer<T>>, hints: ErrorHints = {}): Promise<T> {
    let answer: Answer<T>;
    try {
      answer = await pending;
    } catch (err) {
      throw networkError(this.apiUrl, err);
    }
    // Checked on the status, not on `error`: openapi-fetch leaves `error` undefined for an empty body.
    if (!answer.response.ok) throw apiError(answer.response.status, answer.error, { ...this.defaults, ...hints });
    return answer.data as T;
  }
}
