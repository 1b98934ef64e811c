/** The contract's error body for HTTP answers and refused upgrades. Browser-safe. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
