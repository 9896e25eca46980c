/** Test helper shared by the workers and node projects: the sandbox Stripe's own decoder (independent of the adapter), so both read forms alike. */
export { decodeStripeForm, type FormValue } from "../../src/sandbox/stripe/form";
