export * from "./common.js";
export * from "./errors.js";
export * from "./session.js";
export * from "./signal.js";
export * from "./api.js";
export * from "./technician-ws.js";
export * from "./customer-ws.js";
export * from "./localapi.js";
