import { Text } from "./Text.js";
import type { SessionStatus } from "../../protocol/index.js";
import { STATUS_STYLE, fit } from "../format.js";

export function StatusText({ status, width }: { status: SessionStatus; width?: number }) {
  const style = STATUS_STYLE[status];
  return <Text color={style.color}>{width ? fit(style.label, width) : style.label}</Text>;
}
