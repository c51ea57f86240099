import { marketStoreContract } from "./contract.js";
import { MemoryMarketStore } from "./memory.js";

marketStoreContract("in-process", async (options) => new MemoryMarketStore(options));
