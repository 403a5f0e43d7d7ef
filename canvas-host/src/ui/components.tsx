import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { errorMessage } from '../api/client';

/** A failure message, announced when it appears. */
export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div role="alert" className="alert alert--danger" data-testid="error-alert">
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="skeleton" role="status" aria-label={label} data-testid="loading">
      <span />
      <span />
      <span />
    </div>
  );
}

/** Copies `value`; says so for screen readers and sighted users, and falls back to selecting a field's text. */
export function CopyButton({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <>
      <button type="button" onClick={() => void copy()} data-testid={testId}>
        {label}
      </button>
      <span role="status" className="muted copy-status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed — select the text and copy it' : ''}
      </span>
    </>
  );
}

/** A destructive action with an inline confirmation step (no blocking `window.confirm`). */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  disabled,
  testId,
}: {
  label: string;
  confirmLabel: string;
  question: ReactNode;
  onConfirm: () => void;
  disabled?: boolean;
  testId?: string;
}) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  // Focus follows the question: onto "confirm" when it appears, back to the button when it goes.
  useEffect(() => {
    if (asking) {
      wasAsking.current = true;
      confirmRef.current?.focus();
    } else if (wasAsking.current) {
      wasAsking.current = false;
      openerRef.current?.focus();
    }
  }, [asking]);
  if (!asking) {
    return (
      <button ref={openerRef} type="button" disabled={disabled} onClick={() => setAsking(true)} data-testid={testId}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={label}>
      <span>{question}</span>{' '}
      <button
        ref={confirmRef}
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
        data-testid={testId ? `${testId}-confirm` : undefined}
      >
        {confirmLabel}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A labelled form field with its hint and server-side errors wired up for assistive technology. */
export function Field({
  label,
  hint,
  errors,
  children,
}: {
  label: string;
  hint?: string;
  errors?: string[];
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', errors?.length ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(describedBy ? { 'aria-describedby': describedBy } : {}), ...(errors?.length ? { 'aria-invalid': true } : {}) })}
      {hint && (
        <p id={hintId} className="muted">
          {hint}
        </p>
      )}
      {errors?.length ? (
        <p id={errorId} className="field__error">
          {errors.join(' ')}
        </p>
      ) : null}
    </div>
  );
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}
