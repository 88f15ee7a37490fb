/**
 * The public API of Kelisim's consent runtime (/cmp.js), for a site's own TypeScript.
 *
 * Copy this file next to the site's code, or reference it with `/// <reference path="kelisim.d.ts" />`.
 * tests/browser/test_public_api.py checks that what /cmp.js puts on `window.kelisim` and in the
 * `kelisim:consent` event is exactly what this file declares, member for member.
 */

/** A vendor id of the catalogue (vendors.yaml), e.g. "yandex_metrika". */
type KelisimVendorId = string;

/** The consent as this page applies it: what `kelisim.get()` returns and every consent event carries. */
interface KelisimState {
  /** A choice (given, refused or withdrawn) applies on this page; false before one, or once it no longer holds. */
  decided: boolean;
  /** The id of the visitor's consent history (its receipt is at /consent/<id>), or null. */
  consent_id: string | null;
  /** The stored choice's status; null without one. */
  status: "given" | "refused" | "withdrawn" | null;
  /** The ids of the vendors granted now. */
  granted: KelisimVendorId[];
  /** Every vendor of the config, true when granted now. */
  vendors: Record<KelisimVendorId, boolean>;
  /** The catalogue revision of the config in use, or null before it is here. */
  revision: number | null;
  /** When the stored choice expires (ISO 8601), or null. */
  expires: string | null;
  /** The browser sends Global Privacy Control (marketing is preselected refused). */
  gpc: boolean;
  /** The banner's language ("ru", "kk", "en"), or null before the config is here. */
  language: string | null;
}

/**
 * `window.kelisim`. Every method that changes consent returns a Promise that settles once the
 * choice is stored (it rejects when the server could not be reached or refused it).
 */
interface Kelisim {
  /** Settles with the state once the config is here and a stored consent is applied. */
  ready: Promise<KelisimState>;
  /** The state now. */
  get(): KelisimState;
  /** Opens the banner: the settings layer when `settings` is true, or when a choice is stored. */
  show(settings?: boolean): Promise<void>;
  acceptAll(): Promise<KelisimState>;
  rejectAll(): Promise<KelisimState>;
  /** Withdraws every grant; vendors that ran are cleaned up and the page reloads. */
  withdraw(): Promise<KelisimState>;
  /** Grants or refuses the named vendors, keeping the others as they are; an unknown id rejects. */
  set(choices: Partial<Record<KelisimVendorId, boolean>>): Promise<KelisimState>;
  /** Calls `listener` on every consent applied from now on; returns the function that stops it. */
  on(event: "consent", listener: (state: KelisimState) => void): () => void;
}

interface Window {
  kelisim: Kelisim;
}

/** `kelisim` alone, as page scripts call it. */
declare var kelisim: Kelisim;

interface DocumentEventMap {
  /** Dispatched on document after every applied consent (also a stored one on a return visit). */
  "kelisim:consent": CustomEvent<KelisimState>;
}
