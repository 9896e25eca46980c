import type { StepKind } from "../../domain/steps";
import type { StepExecutor } from "../context";
import { deployService, migrate, rollbackService } from "./deploy";
import { finalizeRelease, verifyHealth } from "./finish";
import { preflight, resolveRef } from "./prepare";
import { reconcileConfig, reconcileShape } from "./reconcile";
import { canaryPromote, canarySplit } from "../canary/executors";
import { canaryStep } from "../canary/soak";
import { ensureComponent, removeComponent, resizeComponent, updateSpec } from "./components";
import { renderLocal } from "./local";
import { awaitRun, backfill, verifyBackfill } from "./backfill";
import { destroySecret, swapSecret } from "./secrets";
import { ensureEnvironment } from "./environment";
import { disableCron, restartService, scaleService } from "./remediate";
import { ensureSendGridDomain, ensureStripeWebhook } from "./connections";

/** One executor per step kind, each typed for its kind's parameters: the compiler demands every one. */
export const EXECUTORS: { [K in StepKind]: StepExecutor<K> } = {
  "resolve-ref": resolveRef,
  preflight,
  "reconcile-shape": reconcileShape,
  "reconcile-config": reconcileConfig,
  migrate,
  "deploy-service": deployService,
  "verify-health": verifyHealth,
  "finalize-release": finalizeRelease,
  "rollback-service": rollbackService,
  "canary-split": canarySplit,
  "canary-step": canaryStep,
  "canary-promote": canaryPromote,
  "update-spec": updateSpec,
  "ensure-component": ensureComponent,
  "remove-component": removeComponent,
  "resize-component": resizeComponent,
  "render-local": renderLocal,
  backfill,
  "verify-backfill": verifyBackfill,
  "await-run": awaitRun,
  "swap-secret": swapSecret,
  "destroy-secret": destroySecret,
  "ensure-environment": ensureEnvironment,
  "restart-service": restartService,
  "scale-service": scaleService,
  "disable-cron": disableCron,
  "ensure-stripe-webhook": ensureStripeWebhook,
  "ensure-sendgrid-domain": ensureSendGridDomain,
};
