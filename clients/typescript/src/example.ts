// A client of the motcua API typed from openapi/openapi.json: log in, list dossiers, receive
// one with an Idempotency-Key (a retry never files it twice), and read a typed problem.
// Compiled with `tsc --strict` in CI; run it against `motcua --demo serve` with a bundler or
// `tsx src/example.ts` (MOTCUA_URL, MOTCUA_USER, MOTCUA_PASSWORD).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Problem = components["schemas"]["Problem"];
type DossierView = components["schemas"]["DossierView"];
type IntakeRequest = components["schemas"]["IntakeRequest"];

/** An error response as the API sends it: RFC 9457 with a stable `code`. */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
  }
}

export function connect(baseUrl: string, token?: string) {
  return createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
}

/** POST /api/v1/auth/token: returns the access token. */
export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const { data, error } = await connect(baseUrl).POST("/api/v1/auth/token", {
    body: { username, password },
  });
  if (error) throw new ApiProblem(error);
  return data.access_token;
}

/** GET /api/v1/dossiers, following `next_cursor` until `max` dossiers are read. */
export async function listDossiers(
  api: ReturnType<typeof connect>,
  max: number,
): Promise<DossierView[]> {
  const out: DossierView[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/api/v1/dossiers", {
      params: { query: { limit: Math.min(100, max - out.length), cursor } },
    });
    if (error) throw new ApiProblem(error);
    out.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor && out.length < max);
  return out;
}

/** POST /api/v1/dossiers with an Idempotency-Key: safe to retry after a timeout. */
export async function receiveDossier(
  api: ReturnType<typeof connect>,
  body: IntakeRequest,
  idempotencyKey: string,
) {
  const { data, error, response } = await api.POST("/api/v1/dossiers", {
    body,
    params: { header: { "Idempotency-Key": idempotencyKey } },
  });
  if (error) {
    // A problem is typed: `errors` names each invalid field on 422.
    if (error.status === 422 && error.errors) {
      for (const [field, messages] of Object.entries(error.errors)) {
        console.error(`${field}: ${messages.join("; ")}`);
      }
    }
    throw new ApiProblem(error);
  }
  return {
    code: data.dossier.code,
    etag: response.headers.get("ETag"),
    replayed: response.headers.get("Idempotent-Replayed") === "true",
  };
}

async function main(): Promise<void> {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const baseUrl = env.MOTCUA_URL ?? "http://127.0.0.1:8080";
  const token = await login(baseUrl, env.MOTCUA_USER ?? "demo.reception-officer", env.MOTCUA_PASSWORD ?? "");
  const api = connect(baseUrl, token);
  const intake: IntakeRequest = {
    procedure_code: "1.004873",
    case_code: "default",
    applicant: {
      type: "citizen",
      full_name: "Nguyễn Văn An",
      id_number: "025090000123",
      birth_year: 1990,
      phone: "0912345678",
      address: "Thôn Bo, xã Kim Bôi, tỉnh Phú Thọ",
    },
    components: [{ document: "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", source: "paper" }],
  };
  const key = crypto.randomUUID();
  const first = await receiveDossier(api, intake, key);
  const retry = await receiveDossier(api, intake, key);
  console.log(`received ${first.code}; retry replayed: ${retry.replayed} (${retry.code})`);
  const dossiers = await listDossiers(api, 50);
  console.log(`${dossiers.length} dossiers visible`);
  // A problem: an unknown dossier is a typed 404.
  const { error } = await api.GET("/api/v1/dossiers/{code}", { params: { path: { code: "NO-SUCH" } } });
  if (error) console.log(`expected problem: ${error.status} ${error.code} (request ${error.request_id})`);
}

main().catch((e: unknown) => {
  console.error(e instanceof ApiProblem ? e.problem : e);
});
