-- One database per federation member, as in the embedded set-up.
CREATE DATABASE member_0;
CREATE DATABASE member_1;
CREATE DATABASE member_2;
CREATE DATABASE member_3;
CREATE DATABASE member_4;
