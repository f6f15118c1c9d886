// The chain's own messages count in words too, and sidechain/ imports nothing of federation/: the
// helper lives there, and federation code keeps importing it from here.
export { plural } from '../sidechain/words.ts';
