/**
 * Fastify plugin metadata without the `fastify-plugin` package: the symbols Fastify reads from a
 * plugin function (`Symbol.for("plugin-meta")` for its name and the Fastify version check,
 * `Symbol.for("fastify.display-name")`, and `Symbol.for("skip-override")`, left false so the plugin
 * stays an encapsulated child context). This is what `fastify-plugin` sets with `encapsulate: true`,
 * so hosts who never use Fastify do not install it.
 */
import type { FastifyPluginAsync, FastifyPluginOptions } from "fastify";

/** Names `fn` for Fastify (`app.hasPlugin(name)`, `dependencies`) and requires Fastify 5; keeps it encapsulated. */
export function encapsulatedPlugin<Options extends FastifyPluginOptions>(fn: FastifyPluginAsync<Options>, name: string): FastifyPluginAsync<Options> {
  const target = fn as FastifyPluginAsync<Options> & Record<symbol, unknown>;
  target[Symbol.for("skip-override")] = false;
  target[Symbol.for("fastify.display-name")] = name;
  target[Symbol.for("plugin-meta")] = { name, fastify: "5.x", encapsulate: true };
  return fn;
}
