import { Api } from './api/client';
import { configFilePath, readConfig, resolveSettings, Settings } from './config';
import { CliError, ErrorHints, ExitCode } from './errors';
import { Io, Output } from './output';
import { cliVersion } from './version';

/** Options every command accepts (declared on the program). */
export interface GlobalOptions {
  json?: boolean;
  apiUrl?: string;
}

/** One invocation: its streams, global options, settings and API clients. */
export class Context {
  readonly out: Output;
  private cached?: Settings;

  constructor(
    readonly io: Io,
    readonly options: GlobalOptions,
  ) {
    this.out = new Output(io, Boolean(options.json));
  }

  /** Reads the config file (once) and resolves the API URL and token. */
  settings(): Settings {
    if (!this.cached) {
      const file = configFilePath(this.io.env);
      const { config, warning } = readConfig(file);
      if (warning) this.out.warn(warning);
      this.cached = resolveSettings(this.options.apiUrl, this.io.env, file, config);
    }
    return this.cached;
  }

  /** A client without credentials, or with an explicit token (login, logout); by default for the resolved URL. */
  client(token?: string, apiUrl = this.settings().apiUrl, hints: ErrorHints = {}): Api {
    return new Api(apiUrl, token, `parley-cli/${cliVersion()}`, hints);
  }

  /** A client with the resolved token; without one the command stops here with exit code 3. */
  authed(): Api {
    const { apiUrl, token, tokenSource } = this.settings();
    if (!token) {
      throw new CliError(`Not signed in to ${apiUrl}.`, ExitCode.auth, {
        code: 'not_logged_in',
        hint: 'run `parley login` (or set PARLEY_TOKEN)',
      });
    }
    const auth = tokenSource === 'env' ? 'PARLEY_TOKEN was refused: set a valid token, or unset it and run `parley login`' : 'run `parley login`';
    return this.client(token, apiUrl, { auth });
  }
}
