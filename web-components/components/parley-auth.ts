/**
 * Sign in and sign up: one form, two modes. A refusal is one sentence under the form, and
 * only the field it is about is marked invalid (none for a wrong username and password
 * pair: which one is wrong is not known, and not to be told). Rules the browser can check
 * (name shape, password length) are checked before sending. A refusal that comes with a
 * wait (429 too many failed sign-ins, 503 the server is busy) adds a countdown to when
 * trying again may work. Username has focus whenever the form appears.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { HttpError } from '../api/http.js';
import { signIn, signUp, type Credentials } from '../api/parley-api.js';
import { PASSWORD_MAX, PASSWORD_MIN, normalizeUsername } from '../../server/protocol/names.js';
import { emit } from '../events.js';
import { shownError, type Sentences } from '../format/retry.js';
import { controls } from './shared-styles.js';
import './parley-retry-countdown.js';

type Mode = 'signin' | 'signup';
type Field = 'username' | 'password';

/** A sentence for the reader and the fields it is about (maybe none). */
interface Problem {
  message: string;
  fields: Field[];
}

const USERNAME_RULE = 'Usernames are 3 to 32 letters, digits or underscores.';
const PASSWORD_RULE = `Passwords are ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`;

const SERVER_SENTENCES: Sentences = {
  bad_credentials: 'You entered the wrong username or password.',
  taken: 'That username is taken. Choose another one.',
};

/** What the browser can tell before asking the server; sign-in only needs something typed. */
function localProblem(mode: Mode, c: Credentials): Problem | undefined {
  if (!c.username && !c.password) return { message: 'Enter a username and a password.', fields: ['username', 'password'] };
  if (!c.username) return { message: 'Enter a username.', fields: ['username'] };
  if (!c.password) return { message: 'Enter a password.', fields: ['password'] };
  if (mode === 'signin') return undefined;
  if (!normalizeUsername(c.username)) return { message: USERNAME_RULE, fields: ['username'] };
  if (c.password.length < PASSWORD_MIN || c.password.length > PASSWORD_MAX) return { message: PASSWORD_RULE, fields: ['password'] };
  return undefined;
}

/**
 * Which field a server refusal is about. `invalid` names its field first ("password: …"),
 * which only a client out of step with the server's rules meets.
 */
function faultyFields(code: string, serverMessage: string): Field[] {
  if (code === 'taken') return ['username'];
  if (code === 'invalid') return /^password\b/.test(serverMessage) ? ['password'] : ['username'];
  return [];
}

function sentenceFor(code: string, serverMessage: string): Sentences {
  if (code !== 'invalid') return SERVER_SENTENCES;
  return { invalid: faultyFields(code, serverMessage)[0] === 'password' ? PASSWORD_RULE : USERNAME_RULE };
}

export class ParleyAuth extends LitElement {
  static properties = {
    mode: { state: true },
    error: { state: true },
    invalid: { state: true },
    retryAt: { state: true },
    busy: { state: true },
  };
  declare mode: Mode;
  declare error: string;
  /** The fields the error is about: only they are marked invalid. */
  declare invalid: Field[];
  /** Set when the server said to wait: the fields are not wrong then, only early. */
  declare retryAt: number | undefined;
  declare busy: boolean;

  static styles = [
    controls,
    css`
      :host {
        display: grid;
        place-items: center;
        min-height: 100%;
        padding: 1.5rem 1rem;
      }
      .card {
        width: min(100%, 24rem);
        padding: 2rem 1.75rem;
        border: 1px solid var(--parley-border);
        border-radius: var(--parley-radius);
        background: var(--parley-surface);
        box-shadow: var(--parley-shadow);
      }
      .brand {
        margin: 0 0 0.25rem;
        font-size: 1.6rem;
        font-weight: 750;
        letter-spacing: -0.02em;
        color: var(--parley-accent);
      }
      h1 {
        margin: 0 0 1.5rem;
        font-size: 1.05rem;
        font-weight: 500;
        color: var(--parley-muted);
      }
      form {
        display: grid;
        gap: 1rem;
      }
      .group {
        display: grid;
        gap: 0.3rem;
      }
      label {
        font-weight: 600;
        font-size: 0.9rem;
      }
      .hint {
        font-weight: 400;
        font-size: 0.8125rem;
        color: var(--parley-muted);
      }
      .error-text {
        margin: 0;
        padding: 0.55rem 0.75rem;
        border-radius: var(--parley-radius-small);
        background: var(--parley-danger-soft);
      }
      .error-text parley-retry-countdown {
        display: block;
        margin-top: 0.25rem;
        font-variant-numeric: tabular-nums;
        color: var(--parley-text);
        font-weight: 600;
      }
      .submit {
        width: 100%;
        min-height: 2.6rem;
      }
      .switch {
        margin: 1.25rem 0 0;
        text-align: center;
        color: var(--parley-muted);
        font-size: 0.9rem;
      }
      .field[aria-invalid='true'] {
        box-shadow: 0 0 0 1px var(--parley-danger);
      }
      .link-button {
        border: 0;
        padding: 0.2rem;
        background: none;
        color: var(--parley-link);
        font-weight: 600;
        text-decoration: underline;
        cursor: pointer;
      }
    `,
  ];

  constructor() {
    super();
    this.mode = 'signin';
    this.error = '';
    this.invalid = [];
    this.retryAt = undefined;
    this.busy = false;
  }

  protected firstUpdated(): void {
    this.focusField('username');
  }

  protected updated(changed: PropertyValues<this>): void {
    // Not on the first render (firstUpdated has it): a new mode is a new form to fill in.
    if (changed.get('mode') !== undefined) this.focusField('username');
  }

  private focusField(field: Field): void {
    this.renderRoot.querySelector<HTMLInputElement>(`#${field}`)?.focus();
  }

  /** aria-describedby for a field: its hint, and the error when the error is about it. */
  private describedBy(field: Field, hint: boolean): string | typeof nothing {
    const ids = [hint ? `${field}-hint` : '', this.invalid.includes(field) ? 'form-error' : ''].filter(Boolean);
    return ids.length ? ids.join(' ') : nothing;
  }

  render() {
    const signingUp = this.mode === 'signup';
    const invalid = (field: Field) => (this.invalid.includes(field) ? 'true' : 'false');
    return html`<div class="card" part="card">
      <p class="brand" aria-hidden="true">Parley</p>
      <h1>${signingUp ? 'Create your Parley account' : 'Welcome back to Parley'}</h1>
      <form @submit=${this.submit} novalidate>
        <div class="group">
          <label for="username">Username</label>
          <input
            id="username"
            class="field"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck="false"
            required
            aria-describedby=${this.describedBy('username', signingUp)}
            aria-invalid=${invalid('username')}
          />
          ${signingUp ? html`<span class="hint" id="username-hint">3–32 letters, digits or underscores.</span>` : nothing}
        </div>
        <div class="group">
          <label for="password">Password</label>
          <input
            id="password"
            class="field"
            name="password"
            type="password"
            autocomplete=${signingUp ? 'new-password' : 'current-password'}
            required
            aria-describedby=${this.describedBy('password', signingUp)}
            aria-invalid=${invalid('password')}
          />
          ${signingUp ? html`<span class="hint" id="password-hint">At least ${PASSWORD_MIN} characters.</span>` : nothing}
        </div>
        ${this.error
          ? html`<div class="error-text" id="form-error" role="alert">
              ${this.error}
              ${this.retryAt !== undefined ? html`<parley-retry-countdown .until=${this.retryAt}></parley-retry-countdown>` : nothing}
            </div>`
          : nothing}
        <button class="button submit" type="submit" ?disabled=${this.busy}>${signingUp ? 'Sign up' : 'Sign in'}</button>
      </form>
      <p class="switch">
        ${signingUp ? 'Already registered?' : 'New to Parley?'}
        <button class="link-button" type="button" @click=${this.toggle}>
          ${signingUp ? 'Use an existing account' : 'Create an account'}
        </button>
      </p>
    </div>`;
  }

  private toggle(): void {
    this.mode = this.mode === 'signin' ? 'signup' : 'signin';
    this.error = '';
    this.invalid = [];
    this.retryAt = undefined;
  }

  private async submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    if (this.busy) return;
    const data = new FormData(ev.target as HTMLFormElement);
    const creds: Credentials = { username: String(data.get('username') ?? '').trim(), password: String(data.get('password') ?? '') };
    const problem = localProblem(this.mode, creds);
    this.retryAt = undefined;
    if (problem) return this.show(problem);
    this.busy = true;
    this.error = '';
    this.invalid = [];
    try {
      const user = await (this.mode === 'signup' ? signUp(creds) : signIn(creds));
      emit(this, 'parley-signed-in', { user });
    } catch (e) {
      const code = e instanceof HttpError ? e.code : '';
      const serverMessage = e instanceof HttpError ? e.message : '';
      const shown = shownError(e, 'Something went wrong. Try again.', Date.now(), sentenceFor(code, serverMessage));
      this.retryAt = shown.retryAt;
      this.show({ message: shown.message, fields: faultyFields(code, serverMessage) });
    } finally {
      this.busy = false;
    }
  }

  private show(problem: Problem): void {
    this.error = problem.message;
    this.invalid = problem.fields;
    const first = problem.fields[0];
    if (first) void this.updateComplete.then(() => this.focusField(first));
  }
}

customElements.define('parley-auth', ParleyAuth);

declare global {
  interface HTMLElementTagNameMap {
    'parley-auth': ParleyAuth;
  }
}
