import type { FastifyInstance } from "fastify";
import * as z from "zod";
import { Id, RescueError, TWILIO_SIGNATURE_HEADER, TwilioStatusCallback } from "../../protocol/index.js";
import type { Rate } from "../limits/buckets.js";
import { sourceOf } from "../limits/source.js";
import { TWILIO_STATUS_PATH } from "../sessions/service.js";
import type { Services } from "../services.js";
import { parseInput } from "./parse.js";

/**
 * Status reports from one source (Twilio posts from its own addresses, so this is Twilio's
 * budget for every session together: a few reports per SMS) and for one session (about four
 * per message, more on retries). Forged reports count too, before their signature is checked.
 */
export const REPORTS_PER_SOURCE: Rate = { burst: 600, windowMs: 60_000 };
export const REPORTS_PER_SESSION: Rate = { burst: 20, windowMs: 10 * 60_000 };
/** A status report is a few hundred bytes of form fields. */
const REPORT_BYTES = 8 * 1024;

const Params = z.object({ id: Id });

/**
 * `POST /api/v1/delivery/twilio/:sessionId`: Twilio's StatusCallback for a session's SMS. Public
 * (Twilio has no token of ours), so every report must carry Twilio's X-Twilio-Signature over the
 * public URL and its form fields, made with the auth token; an unsigned or forged one is a 403
 * and changes nothing. A signed report only updates the session whose URL it was posted to, and
 * only when its MessageSid is that session's message (else 404).
 */
export function deliveryRoutes(app: FastifyInstance, s: Services): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: REPORT_BYTES }, (_req, body, done) =>
      done(null, String(body)),
    );

    scope.post(`${TWILIO_STATUS_PATH}/:id`, async (req, reply) => {
      const source = sourceOf(req.ip);
      if (!(await s.buckets.take(`delivery-report:${source}`, REPORTS_PER_SOURCE))) {
        reply.header("retry-after", String(Math.max(1, Math.ceil((await s.buckets.waitMs(`delivery-report:${source}`, REPORTS_PER_SOURCE)) / 1000))));
        throw new RescueError("rate_limited", "too many delivery reports");
      }
      const verify = s.delivery.sms.verifyCallback?.bind(s.delivery.sms);
      if (!verify) throw new RescueError("not_found", "no SMS carrier that reports delivery is configured");
      if (typeof req.body !== "string") throw new RescueError("bad_request", "a status report is form-encoded (application/x-www-form-urlencoded)");
      const form = new URLSearchParams(req.body);
      const params: Record<string, string> = {};
      for (const [name, value] of form) {
        if (name in params) throw new RescueError("bad_request", `field ${name} given twice`);
        params[name] = value;
      }
      // Twilio signs the URL it called: the public one, whatever proxy passed it on.
      const url = `${s.config.publicUrl.replace(/\/+$/, "")}${req.url}`;
      const signature = req.headers[TWILIO_SIGNATURE_HEADER];
      if (!verify(url, params, typeof signature === "string" ? signature : undefined)) {
        req.log.warn({ source, signed: typeof signature === "string" }, "delivery report refused: not signed by the SMS carrier");
        throw new RescueError("forbidden", "the report's X-Twilio-Signature does not match");
      }
      const { id } = parseInput(Params, req.params, "path");
      if (!(await s.buckets.take(`delivery-report-session:${id}`, REPORTS_PER_SESSION))) throw new RescueError("rate_limited", "too many delivery reports for this session");
      const report = parseInput(TwilioStatusCallback, params);
      const session = await s.sessions.smsReport(id, report);
      req.log.info({ sessionId: id, carrierStatus: report.MessageStatus, status: session.delivery?.status, code: report.ErrorCode }, "sms status report");
      return reply.code(204).send();
    });
  });
}
