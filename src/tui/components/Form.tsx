import type { ReactNode } from "react";
import { Box } from "ink";
import { Text } from "./Text.js";

/** One labelled field of a dialog; the focused one is marked with ">" and colour. */
export function FieldRow({ focused, label, width, children }: { focused: boolean; label: string; width: number; children: ReactNode }) {
  return (
    <Box>
      <Text color={focused ? "cyan" : undefined} bold={focused}>
        {focused ? "> " : "  "}
        {label.padEnd(width)}
      </Text>
      {children}
    </Box>
  );
}

/** A one-of choice: the current value in inverse video. */
export function Choice<T extends string>({ values, current, label }: { values: readonly T[]; current: T; label: (v: T) => string }) {
  return (
    <Text>
      {values.map((v) => (
        <Text key={v} inverse={v === current}>{` ${label(v)} `}</Text>
      ))}
    </Text>
  );
}

/** Typed text, with a block cursor while focused. */
export function TextValue({ value, cursor, truncate = false }: { value: string; cursor: boolean; truncate?: boolean }) {
  return (
    <Text {...(truncate ? { wrap: "truncate" as const } : {})}>
      {` ${value}`}
      {cursor ? <Text inverse> </Text> : null}
    </Text>
  );
}
