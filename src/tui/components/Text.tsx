import { Text as InkText, type TextProps } from "ink";

/** True when the user asked for no colours (https://no-color.org: set and not empty). */
export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.NO_COLOR);
}

/**
 * Ink's Text, without its colours under NO_COLOR. Bold, dim and inverse stay: they mark focus,
 * selection and the cursor, and every status is also a word, so nothing is lost with the colours.
 */
export function Text(props: TextProps) {
  if (!noColor()) return <InkText {...props} />;
  const { color: _color, backgroundColor: _background, ...rest } = props;
  return <InkText {...rest} />;
}
