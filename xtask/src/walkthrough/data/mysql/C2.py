# import neccessary libraries
import mysql.connector
from mysql.connector import Error
import os

# Reading enviroment variables
mysql_user = os.environ['MYSQL_USER']
mysql_password = os.environ['MYSQL_PASSWORD']

# Creating MYSQL connection
try:
    mydb_connection = mysql.connector.connect(
    host="host.docker.internal",
    user=mysql_user,
    password=mysql_password)
    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")

except Error:
    print("Error while connecting to MySQL", Error)
