// The "express4" dev dependency (npm:express@^4) is Express 4 for the HTTP tests; its API is typed as Express.
declare module "express4" {
  import express from "express";
  export default express;
}
