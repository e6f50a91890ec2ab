import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api.js";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
}

/** Runs `load` whenever `deps` change; an answer to an older run is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: true });
  // `deps` lists what `load` reads, as the caller knows it.
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (err: unknown) =>
        live &&
        setState({
          data: undefined,
          error: err instanceof ApiError ? err : new ApiError(0, String(err)),
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}
