// Which country an E.164 number belongs to, for `allowedPhoneCountries`. A table of ITU
// calling codes (and, inside +1, the North American area codes of the countries other than the
// US) instead of a phone library: those weigh hundreds of KiB, and the Worker bundle is its
// cold start. Codes shared by several territories (+590, +262, ...) give all of them.

const CALLING_CODES =
  "7:RU 20:EG 211:SS 212:MA,EH 213:DZ 216:TN 218:LY 220:GM 221:SN 222:MR 223:ML 224:GN 225:CI " +
  "226:BF 227:NE 228:TG 229:BJ 230:MU 231:LR 232:SL 233:GH 234:NG 235:TD 236:CF 237:CM 238:CV " +
  "239:ST 240:GQ 241:GA 242:CG 243:CD 244:AO 245:GW 246:IO 247:SH 248:SC 249:SD 250:RW 251:ET " +
  "252:SO 253:DJ 254:KE 255:TZ 256:UG 257:BI 258:MZ 260:ZM 261:MG 262:RE,YT 263:ZW 264:NA " +
  "265:MW 266:LS 267:BW 268:SZ 269:KM 27:ZA 290:SH 291:ER 297:AW 298:FO 299:GL 30:GR 31:NL " +
  "32:BE 33:FR 34:ES 350:GI 351:PT 352:LU 353:IE 354:IS 355:AL 356:MT 357:CY 358:FI,AX 359:BG " +
  "36:HU 370:LT 371:LV 372:EE 373:MD 374:AM 375:BY 376:AD 377:MC 378:SM 379:VA 380:UA 381:RS " +
  "382:ME 385:HR 386:SI 387:BA 389:MK 39:IT,VA 40:RO 41:CH 420:CZ 421:SK 423:LI 43:AT " +
  "44:GB,GG,JE,IM 45:DK 46:SE 47:NO,SJ 48:PL 49:DE 500:FK,GS 501:BZ 502:GT 503:SV 504:HN " +
  "505:NI 506:CR 507:PA 508:PM 509:HT 51:PE 52:MX 53:CU 54:AR 55:BR 56:CL 57:CO 58:VE " +
  "590:GP,BL,MF 591:BO 592:GY 593:EC 594:GF 595:PY 596:MQ 597:SR 598:UY 599:CW,BQ 60:MY " +
  "61:AU,CX,CC 62:ID 63:PH 64:NZ,PN 65:SG 66:TH 670:TL 672:NF,AQ 673:BN 674:NR 675:PG 676:TO " +
  "677:SB 678:VU 679:FJ 680:PW 681:WF 682:CK 683:NU 685:WS 686:KI 687:NC 688:TV 689:PF 690:TK " +
  "691:FM 692:MH 81:JP 82:KR 84:VN 850:KP 852:HK 853:MO 855:KH 856:LA 86:CN 880:BD 886:TW " +
  "90:TR 91:IN 92:PK 93:AF 94:LK 95:MM 960:MV 961:LB 962:JO 963:SY 964:IQ 965:KW 966:SA " +
  "967:YE 968:OM 970:PS 971:AE 972:IL 973:BH 974:QA 975:BT 976:MN 977:NP 98:IR 992:TJ 993:TM " +
  "994:AZ 995:GE 996:KG 998:UZ";

// +1 area codes outside the United States; every other +1 number is US.
const NANP_AREAS =
  "CA:204,226,236,249,250,263,289,306,343,354,365,367,368,382,387,403,416,418,428,431,437,438," +
  "450,460,468,474,506,514,519,548,579,581,584,587,600,604,613,639,647,672,683,705,709,742,753," +
  "778,780,782,807,819,825,867,873,879,902,905,942 AG:268 AI:264 AS:684 BB:246 BM:441 BS:242 " +
  "DM:767 DO:809,829,849 GD:473 GU:671 JM:876,658 KN:869 KY:345 LC:758 MP:670 MS:664 PR:787,939 " +
  "SX:721 TC:649 TT:868 VC:784 VG:284 VI:340";

function table(spec: string, split: (key: string, value: string) => [string, string[]][]) {
  const map = new Map<string, string[]>();
  for (const entry of spec.split(" ")) {
    const [key = "", value = ""] = entry.split(":");
    for (const [k, v] of split(key, value)) map.set(k, v);
  }
  return map;
}

const byCallingCode = table(CALLING_CODES, (code, countries) => [[code, countries.split(",")]]);
const byArea = table(NANP_AREAS, (country, areas) => areas.split(",").map((a) => [a, [country]]));

/** Normalises Meta's display form (`+1 415-555-0100`) to E.164, or null if it is not one. */
export function toE164(display: string): string | null {
  const digits = display.replace(/[^\d]/g, "");
  const e164 = `+${digits}`;
  return /^\+[1-9]\d{6,14}$/.test(e164) ? e164 : null;
}

/** An E.164 number as its calling code and national number (`+34612345678` -> 34, 612345678). */
export function splitE164(e164: string): { code: number; number: string } | null {
  const digits = e164.replace(/^\+/, "");
  const lengths = digits.startsWith("1") || digits.startsWith("7") ? [1] : [3, 2, 1];
  for (const length of lengths) {
    const code = digits.slice(0, length);
    if (length === 1 ? /^[17]$/.test(code) : byCallingCode.has(code)) {
      return { code: Number(code), number: digits.slice(length) };
    }
  }
  return null;
}

/** ISO 3166-1 alpha-2 codes the E.164 number may belong to (empty when unknown). */
export function countriesOf(e164: string): string[] {
  const digits = e164.replace(/^\+/, "");
  if (digits.startsWith("1")) return byArea.get(digits.slice(1, 4)) ?? ["US"];
  // Kazakhstan shares +7 with Russia: its numbers continue with 6 or 7.
  if (digits.startsWith("7")) return /^7[67]/.test(digits) ? ["KZ"] : ["RU"];
  for (const length of [3, 2, 1]) {
    const found = byCallingCode.get(digits.slice(0, length));
    if (found) return found;
  }
  return [];
}
